# Source: domain.md §4.2 (the Chongqing channel model); seed 000 (the 400 yuan line, 25% in the first bracket); platform-api.md §2 (certificate types 01 e-voucher, 02 ID card)
# With the e-voucher or the ID card a visit settles as with the card: the account pays the person's share first,
# the person pays below the 400 line, 25% in the first bracket above it.
@certificates @settlement @rig-any @domain-4.2 @seed-000 @english @epic:结算 @severity:critical
Feature: Settling with the medical insurance e-voucher or the ID card
  The cashier's terminal scans the e-voucher the person holds up, gets its token (ecToken) from the
  local e-voucher component and looks the person up, registers and settles with certificate type 01;
  the token is good for 30 minutes, after that the e-voucher must be shown again. A person with
  neither the card nor a phone may use the ID card (type 02).

  Background:
    Given today is 2024-05-20
    And a designated hospital "City People's Hospital" in Chongqing
    And "Zhang San" is insured in Chongqing under employee insurance
    And "Li Si" is insured in Chongqing under employee insurance

  @evoucher
  Scenario: An outpatient visit settled with the e-voucher
    # By hand: 600.00 all covered, nothing before this year. 0→400 below the line: the person's 400.00;
    # 400→600, 200.00 in the first bracket: person 25% = 50.00, fund 150.00. The person's 450.00: the
    # account's 100.00 first (emptied), 350.00 cash.
    Given "Zhang San" carried CNY 100.00 over from last year
    And "Zhang San" shows the medical insurance e-voucher
    When "Zhang San" visits "City People's Hospital" as an outpatient with the medical insurance e-voucher, costing CNY 600.00
    Then the pooled fund pays CNY 150.00
    And the account pays CNY 100.00
    And the cash paid is CNY 350.00
    And the account balance after settlement is CNY 0.00
    And the receipt names the certificate "e-voucher"
    And the receipt shows:
      | total   | 600.00 |
      | fund    | 150.00 |
      | account | 100.00 |
      | cash    | 350.00 |

  @evoucher
  Scenario: Settled more than 30 minutes after the scan, the e-voucher has expired: refused, paid in cash
    # The token scanned at 10:00 is good until 10:30; used at 10:31 the platform refuses it and the account is untouched.
    Given "Zhang San" carried CNY 100.00 over from last year
    And "Zhang San" shows the medical insurance e-voucher
    And the terminal at "City People's Hospital" scans the medical insurance e-voucher
    And 31 minutes pass
    When "Zhang San" visits "City People's Hospital" as an outpatient with the medical insurance e-voucher, costing CNY 600.00
    Then the terminal refuses because "the e-voucher has expired"
    And everything is paid in cash and insurance pays nothing
    And "Zhang San"'s account balance is CNY 100.00

  @id-card
  Scenario: An outpatient visit settled with the ID card
    # By hand: 1000.00 all covered. 0→400 the person's 400.00; 400→1000, 600.00: person 25% = 150.00,
    # fund 450.00. The person's 550.00: the account's 200.00 first (emptied), 350.00 cash.
    Given "Li Si" carried CNY 200.00 over from last year
    When "Li Si" visits "City People's Hospital" as an outpatient with the ID card, costing CNY 1000.00
    Then the pooled fund pays CNY 450.00
    And the account pays CNY 200.00
    And the cash paid is CNY 350.00
    And the account balance after settlement is CNY 0.00
    And the receipt names the certificate "ID card"
