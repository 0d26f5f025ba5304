# Source: domain.md §4.2 (the account pays first); seed 000
# People and cards by name from fixtures/world/people.yaml and fixtures/cards/*.yaml.
@fixtures @domain-4.2 @seed-000 @english @rig-any
Feature: Fixture people and cards by name

  Scenario: 张三 with the zhang-san card: the 800.00 carried over pays first
    # fixtures/world/people.yaml: 张三 carried 800.00. 120.00 ≤ 800.00, so the account pays it all:
    # account 120.00, fund 0.00, cash 0.00, balance 800.00 − 120.00 = 680.00.
    Given today is 2024-03-15
    And a designated hospital "City People's Hospital" in Chongqing
    And "张三" holds the card zhang-san
    When "张三" visits "City People's Hospital" as an outpatient with the card, costing CNY 120.00
    Then the account pays CNY 120.00
    And the pooled fund pays CNY 0.00
    And the cash paid is CNY 0.00
    And the account balance after settlement is CNY 680.00
