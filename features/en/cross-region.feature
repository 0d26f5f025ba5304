# Source: domain.md §6, platform-api.md §4; seed 000, seed 002
@cross-region @settlement @rig-any @domain-6 @seed-000 @seed-002 @english @epic:异地就医 @severity:critical
Feature: Visits outside the insured region

  Background:
    Given today is 2024-07-01
    And a designated hospital "Beijing Hospital" in Beijing
    And "Xiao Sun" is insured in Chongqing under employee insurance
    And "Xiao Sun" holds a card

  Scenario: Filed: settles directly under the home region's policy
    # By hand (Chongqing's policy, empty account): 400.00 person; 600.00 person 25% 150.00, fund 450.00 → cash 550.00.
    Given "Xiao Sun" has filed for visits in Beijing
    When "Xiao Sun" visits "Beijing Hospital" as an outpatient with the card, costing CNY 1000.00
    Then the pooled fund pays CNY 450.00
    And the cash paid is CNY 550.00

  Scenario: Not filed: cash at the counter, claim at home with 10 extra points
    # By hand: +10 points in every bracket: 600.00 × 35% = 210.00 person, fund 390.00 → paid back 390.00.
    When "Xiao Sun" visits "Beijing Hospital" as an outpatient with the card, costing CNY 1000.00
    Then the terminal refuses because "cross-region visit without a filing"
    When "Xiao Sun" claims reimbursement at the agency
    Then the claim is accepted and pays back CNY 390.00
