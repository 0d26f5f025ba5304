# Source: domain.md §5 (card replacement period), §7 (loss report blocks at once; new number, same person; balance untouched); seed 000, 002, 001 §4
@card-replacement @card-lifecycle @rig-any @domain-5 @domain-7 @seed-000 @seed-002 @english @epic:卡片
Feature: Reporting a card lost and replacing it

  Background:
    Given today is 2024-03-01
    And a designated hospital "District Hospital" in Chongqing
    And "Chen Qi" is insured in Chongqing under employee insurance
    And "Chen Qi" holds a card

  Scenario: The old card is refused after the loss report; the balance stays with the person
    Given "Chen Qi"'s account is credited CNY 200.00
    When "Chen Qi" reports the card lost
    And "Chen Qi" collects and activates a new card
    Then "Chen Qi"'s account balance is CNY 200.00
    When "Chen Qi" presents the old card at "District Hospital" for an outpatient visit costing CNY 50.00
    Then the terminal refuses because "the card is reported lost or cancelled"
    When "Chen Qi" visits "District Hospital" as an outpatient with the card, costing CNY 50.00
    Then the account pays CNY 50.00

  Scenario: A cash visit while waiting for the new card is reimbursed
    # By hand: empty account; the visit lies between the loss report and the new card's activation; fund (1000.00 − 400.00) × 75% = 450.00.
    When "Chen Qi" reports the card lost
    Given today is 2024-03-05
    When "Chen Qi" pays CNY 1000.00 in cash at "District Hospital" because of the card replacement period
    Given today is 2024-03-12
    When "Chen Qi" collects and activates a new card
    And "Chen Qi" claims reimbursement at the agency
    Then the claim is accepted and pays back CNY 450.00
