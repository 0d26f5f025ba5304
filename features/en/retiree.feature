# Source: domain.md §3 (the age-banded model: a retiree's account is credited 6% of the basic pension), §5 (cash first, claim later, reckoned as with the card); seed 001, seed 000
# Beijing (fixtures/policies/110000.yaml): deductible line 1800.00, 30% personal above it, no extra points at a level 1 hospital.
@retiree @credits @cash-advance @rig-any @domain-3 @domain-5 @seed-001 @seed-000 @english @epic:个人账户
Feature: Retirees: account credits from the basic pension, an emergency paid in cash and claimed

  Background:
    Given today is 2024-05-10
    And a level 1 designated hospital "District First Hospital" in Beijing
    And "Lao Zhou" is retired, insured in Beijing under employee insurance, with a basic pension of CNY 4000.00 a month

  Scenario: A retiree is credited 6% of the basic pension each month
    # By hand: 4000.00 × 6% = 240.00 a month; 720.00 for 3 months.
    When "Lao Zhou"'s account receives 3 monthly credits
    Then each monthly credit is CNY 240.00
    And the credits total CNY 720.00
    And "Lao Zhou"'s account balance is CNY 720.00

  @emergency-without-card
  Scenario: A retiree in an emergency without the card pays in cash, then claims, reckoned as with the card
    # By hand (as with the card): of 3000.00, the 1800.00 below the line is the person's; of the 1200.00 above it
    # the person pays 30% = 360.00 and the fund 840.00. The person's 2160.00: 720.00 from the account (emptied),
    # 1440.00 in cash. Paid back = fund 840.00 + account 720.00 = 1560.00; net cash = 3000.00 − 1560.00 = 1440.00,
    # the cash the card would have left to pay.
    Given "Lao Zhou"'s account receives 3 monthly credits
    When "Lao Zhou" pays CNY 3000.00 in cash at "District First Hospital" because of an emergency without the card
    Then everything is paid in cash and insurance pays nothing
    When "Lao Zhou" claims reimbursement at the agency
    Then the claim is accepted and pays back CNY 1560.00
    And had the card been used, it would have paid: account CNY 720.00, fund CNY 840.00, cash CNY 1440.00
    And after the claim, the net cash paid is CNY 1440.00
    And "Lao Zhou"'s account balance is CNY 0.00
