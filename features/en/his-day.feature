# Source: seed 000 (the hospital sends the card data to the insurance agency over an electronic interface and settles); platform-api.md §2–§3a (9001 sign-in, 1301 download and 9102 file, 3301 mapping, 3201/3202 reconciliation, 2302/2405 inpatient cancels, 3503/3505 stock, 2601 reversal); domain.md §4.1–§4.3 (the segments); fixtures/policies/500000.yaml (Chongqing: deductible 400.00, first bracket person 25%, class B pre-self-pay 10%)
@his-day @rig-any @domain-4.2 @seed-000 @english @epic:结算
Feature: A day of a designated institution's HIS: sign-in, catalogue download, mapping, reconciliation, a stay, stock, reversal

  Background:
    Given today is 2024-03-15
    And a newly opened designated hospital "City People's Hospital" in Chongqing
    And "Zhang San" is insured in Chongqing under employee insurance
    And "Zhang San" holds a card

  @catalogue
  Scenario: Start of day: sign in, download the drug catalogue, upload a mapping, then a visit with the mapped item
    # By hand: class A is all covered; the account's 100.00 pays 2 × 25.00 = 50.00 first, 50.00 left, no cash.
    Given "Zhang San" carried CNY 100.00 over from last year
    And the catalogue has the western or patent medicine "Cefalexin capsules", class "class A"
    When the designated hospital "City People's Hospital" signs in
    And the designated hospital "City People's Hospital" downloads the western and patent medicine catalogue
    Then the drug catalogue "City People's Hospital" downloaded lists "Cefalexin capsules" as "class A"
    When the designated hospital "City People's Hospital" downloads the western and patent medicine catalogue
    Then "City People's Hospital" finds nothing newer when it downloads again
    When the designated hospital "City People's Hospital" uploads a mapping of its own item "Cefalexin (in-house)" to the catalogue's "Cefalexin capsules"
    And "Zhang San" visits "City People's Hospital" as an outpatient with the card, for 2 boxes of its own item "Cefalexin (in-house)" at CNY 25.00 each
    Then the account pays CNY 50.00
    And the cash paid is CNY 0.00
    And the account balance after settlement is CNY 50.00

  @reconciliation
  Scenario: Day end: the totals of the settlements in force balance (3201); one amount changed in the detail file, and 3202 names that settlement alone
    # By hand (the default class A item, all covered, each person's year starting at 0):
    #   Zhang San 120.00: the account's 100.00 first, the 20.00 left lies below the line → cash 20.00; fund 0.00.
    #   Li Si 600.00: empty account; 400.00 below the line → cash; 200.00 in the first bracket, person 25% = 50.00, fund 150.00.
    #   Wang Wu 80.00: the account's 50.00 first, 30.00 cash; then reversed (2208), so not in the day's figures.
    #   In force: 2 settlements, 120.00 + 600.00 = 720.00, fund 150.00, accounts 100.00.
    #   The detail file has 3 rows: Wang Wu's marked reversed (refd_setl_flag 1), as the centre has it; only Li Si's differs.
    Given "Zhang San" carried CNY 100.00 over from last year
    And "Li Si" is insured in Chongqing under employee insurance
    And "Li Si" holds a card
    And "Wang Wu" is insured in Chongqing under employee insurance
    And "Wang Wu" holds a card
    And "Wang Wu" carried CNY 50.00 over from last year
    When "Zhang San" visits "City People's Hospital" as an outpatient with the card, costing CNY 120.00
    And "Li Si" visits "City People's Hospital" as an outpatient with the card, costing CNY 600.00
    Then the pooled fund pays CNY 150.00
    When "Wang Wu" visits "City People's Hospital" as an outpatient with the card, costing CNY 80.00
    And "Wang Wu"'s last settlement is reversed
    Then "City People's Hospital" has 2 outpatient settlements in force today, costing CNY 720.00 in all, the fund paying CNY 150.00 and the accounts CNY 100.00
    When the designated hospital "City People's Hospital" reconciles the day's totals by 3201
    Then the day's totals balance
    When the designated hospital "City People's Hospital" reconciles the day's detail by 3202, its file showing "Li Si"'s total as CNY 601.00
    Then the detail reconciliation names only "Li Si"'s settlement: the institution says CNY 601.00, the centre CNY 600.00

  @inpatient
  Scenario: A stay: one fee cancelled, one discharge cancelled, settled once
    # By hand: the fees in force, bed 5 × 100.00 + MRI 1000.00 (class B) + surgery 3000.00 + one more day 100.00 = 4600.00
    #   (ceftriaxone 800.00 was cancelled). Class B pre-self-pay 10% = 100.00; covered 4500.00.
    #   400.00 below the line, the person's; 4100.00 in the first bracket (cumulative 4500.00 ≤ 5000.00): person 25% = 1025.00, fund 3075.00.
    #   Of the covered personal share 1425.00 the account pays its 332.80 (never the pre-self-pay);
    #   cash = 4600.00 − 3075.00 − 332.80 = 1192.20; the account is left at 0.00.
    Given "Zhang San" carried CNY 332.80 over from last year
    When "Zhang San" is admitted to "City People's Hospital" with the card
    And "City People's Hospital" uploads "Zhang San"'s inpatient fees:
      | name        | class   | price   | count |
      | bed         | class A | 100.00  | 5     |
      | ceftriaxone | class A | 800.00  | 1     |
      | MRI scan    | class B | 1000.00 | 1     |
      | surgery     | class A | 3000.00 | 1     |
    And "City People's Hospital" cancels "Zhang San"'s inpatient fee "ceftriaxone"
    And "City People's Hospital" discharges "Zhang San"
    And "City People's Hospital" cancels "Zhang San"'s discharge
    And "City People's Hospital" uploads "Zhang San"'s inpatient fees:
      | name            | class   | price  | count |
      | bed (extra day) | class A | 100.00 | 1     |
    And "City People's Hospital" discharges "Zhang San"
    And "City People's Hospital" settles "Zhang San"'s stay
    Then the pooled fund pays CNY 3075.00
    And the account pays CNY 332.80
    And the cash paid is CNY 1192.20
    And "Zhang San"'s account balance is CNY 0.00

  @pharmacy
  Scenario: Pharmacy stock: bought in, a sale takes it down, a sale beyond the stock is refused
    # By hand: 10 in; 3 sold, 7 left; 8 more is beyond the 7, refused, the stock unmoved; 7 sold, 0 left.
    Given a newly opened designated pharmacy "Great Pharmacy" in Chongqing
    And the catalogue has the western or patent medicine "Loratadine tablets", class "class B"
    When the designated pharmacy "Great Pharmacy" buys in 10 boxes of "Loratadine tablets"
    Then "Great Pharmacy" has 10 boxes of "Loratadine tablets" in stock
    When the designated pharmacy "Great Pharmacy" sells 3 boxes of "Loratadine tablets"
    Then "Great Pharmacy" has 7 boxes of "Loratadine tablets" in stock
    When the designated pharmacy "Great Pharmacy" sells 8 boxes of "Loratadine tablets"
    Then the upload is refused, saying "库存不足：现有 7，本次销售 8"
    When the designated pharmacy "Great Pharmacy" sells 7 boxes of "Loratadine tablets"
    Then "Great Pharmacy" has 0 boxes of "Loratadine tablets" in stock

  @reversal
  Scenario: The settlement answer is lost on the way: the terminal reverses it (2601), settles again, and the account pays once
    # By hand: class A 120.00 all covered; the account's 332.80 pays 120.00 first, 212.80 left; cumulative 120.00.
    #   Settled twice, the balance would be 92.80 and the cumulative 240.00.
    Given "Zhang San" carried CNY 332.80 over from last year
    When "Zhang San" visits "City People's Hospital" as an outpatient with the card, costing CNY 120.00, and the settlement answer is lost on the way
    Then the first settlement was undone by 2601 and the retry left exactly one settlement
    And the account pays CNY 120.00
    And "Zhang San"'s account balance is CNY 212.80
    And "Zhang San"'s covered cost this year is CNY 120.00
