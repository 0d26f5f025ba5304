# Source: domain.md §7, card-spec.md §4; seed 000, 002, 003
@card-checks @rig-any @domain-7 @seed-000 @seed-002 @english @epic:卡片
Feature: What the terminal checks on the card and its holder

  Background:
    Given today is 2024-03-15
    And a designated hospital "City Hospital" in Chongqing
    And "Zhang San" is insured in Chongqing under employee insurance
    And "Zhang San"'s account is credited CNY 300.00

  @expired-card @needs-card-state
  Scenario: An expired card is refused
    Given "Zhang San" holds a card valid until 2023-12-31
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then the terminal refuses because "the card has expired"
    And "Zhang San"'s account balance is CNY 300.00

  @pin
  Scenario: A wrong PIN is refused with the tries left
    Given "Zhang San" holds a card
    And "Zhang San" types the PIN "000000"
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then the terminal refuses because "wrong PIN"
    And 2 PIN tries are left

  @pin @needs-card-state
  Scenario: The issuing default PIN may not be used
    Given "Zhang San" holds a card
    And "Zhang San"'s card still has the issuing default PIN
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then the terminal refuses because "the issuing default PIN may not be used for transactions; change it first"

  @card-lending
  Scenario: Someone else presents Zhang San's card
    Given "Zhang San" holds a card
    And "Li Si" is insured in Chongqing under employee insurance
    When "Li Si" presents "Zhang San"'s card at "City Hospital" for an outpatient visit costing CNY 100.00
    Then the terminal refuses because "cards may not be lent"
