# Source: domain.md §5 (cash first, reimbursement later; the reimbursement invariant); seed 000
@cash-advance @reimbursement @rig-any @domain-5 @seed-000 @english @epic:报销
Feature: Pay in cash first, claim at the agency later

  Background:
    Given today is 2024-04-08
    And a designated hospital "Emergency Centre" in Chongqing
    And "Xiao Zhao" is insured in Chongqing under employee insurance
    And "Xiao Zhao" holds a card

  @emergency-without-card
  Scenario: An emergency without the card is reimbursed as if the card had been presented
    # By hand, as a card visit: 400.00 below the line; 600.00 person 25% 150.00, fund 450.00; the person's 550.00
    # is paid 100.00 from the account (now empty), 450.00 cash. Paid back: fund 450.00 + account 100.00 = 550.00.
    Given "Xiao Zhao"'s account is credited CNY 100.00
    When "Xiao Zhao" pays CNY 1000.00 in cash at "Emergency Centre" because of an emergency without the card
    Then everything is paid in cash and insurance pays nothing
    When "Xiao Zhao" claims reimbursement at the agency
    Then the claim is accepted and pays back CNY 550.00
    And "Xiao Zhao"'s account balance is CNY 0.00

  @employer-arrears
  Scenario: Employer in arrears: refused at the counter, reimbursed after payment
    # By hand: empty account; fund (1000.00 − 400.00) × 75% = 450.00 paid back.
    Given "Xiao Zhao"'s employer is in arrears
    When "Xiao Zhao" visits "Emergency Centre" as an outpatient with the card, costing CNY 1000.00
    Then the terminal refuses because "employer is in arrears"
    When "Xiao Zhao"'s employer pays its arrears
    And "Xiao Zhao" claims reimbursement at the agency
    Then the claim is accepted and pays back CNY 450.00
