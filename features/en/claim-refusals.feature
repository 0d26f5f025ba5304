# Source: domain.md §5 (when a later claim is accepted; otherwise refused and the ledger untouched), §6 (unfiled cross-region claims need the referral); seed 000
# Worked by hand (domain.md §4.2, Chongqing: line 400.00, first bracket person 25%): cost 1000.00, empty account →
#   400.00 below the line is the person's; of the 600.00 above, person 150.00, fund 450.00 → pays back 450.00.
@claim-refusal @cash-advance @reimbursement @rig-any @domain-5 @seed-000 @english @epic:报销
Feature: Claims without their evidence are refused, and accepted once it is given

  Background:
    Given today is 2024-04-08
    And a designated hospital "City Hospital" in Chongqing
    And "Xiao Zhao" is insured in Chongqing under employee insurance
    And "Xiao Zhao" holds a card

  @family-planning
  Scenario: A family-planning claim without the surgery certificate is refused; with it, accepted
    When "Xiao Zhao" pays CNY 1000.00 in cash at "City Hospital" because of family-planning surgery
    And "Xiao Zhao" claims reimbursement at the agency
    Then the claim is rejected with a reason containing "缺少计划生育手术证明"
    And "Xiao Zhao"'s covered cost this year is CNY 0.00
    When "Xiao Zhao" claims reimbursement with the surgery certificate
    Then the claim is accepted and pays back CNY 450.00

  @cross-region @domain-6 @seed-002
  Scenario: An unfiled cross-region claim without the referral is refused
    Given a designated hospital "Beijing Hospital" in Beijing
    When "Xiao Zhao" visits "Beijing Hospital" as an outpatient with the card, costing CNY 1000.00
    Then the terminal refuses because "cross-region visit without a filing"
    When "Xiao Zhao" claims reimbursement without the referral
    Then the claim is rejected with a reason containing "referral_no"
    And "Xiao Zhao"'s covered cost this year is CNY 0.00
