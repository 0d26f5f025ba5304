# Source: domain.md §7 (pharmacies; no cash withdrawal), platform-api.md §2 (2208 reversal); seed 000, seed 003
@rig-any @domain-7 @seed-000 @seed-003 @english @epic:结算
Feature: Pharmacy purchases, no cash withdrawal, settlement reversal

  Background:
    Given today is 2024-03-15
    And a designated pharmacy "Big Pharmacy" in Chongqing
    And a designated hospital "City Hospital" in Chongqing
    And "Zhang San" is insured in Chongqing under employee insurance
    And "Zhang San" holds a card
    And "Zhang San" carried CNY 332.80 over from last year

  @pharmacy
  Scenario: Drugs paid from the personal account at a designated pharmacy
    # By hand: 332.80 − 80.00 = 252.80.
    When "Zhang San" buys drugs at "Big Pharmacy" with the card for CNY 80.00
    Then the account pays CNY 80.00
    And the account balance after settlement is CNY 252.80

  @pharmacy @no-cash-withdrawal
  Scenario: The account cannot be taken out as cash
    When "Zhang San" asks "Big Pharmacy" to pay CNY 100.00 out of the account in cash
    Then the terminal refuses because "the personal account cannot be withdrawn as cash or transferred"
    And "Zhang San"'s account balance is CNY 332.80

  @reversal @domain-4.2
  Scenario: A reversed settlement gives the money back to the account
    # By hand: 332.80 − 100.00, then the reversal gives the 100.00 back: 332.80.
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    And "Zhang San"'s last settlement is reversed
    Then "Zhang San"'s account balance is CNY 332.80
