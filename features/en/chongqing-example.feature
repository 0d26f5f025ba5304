# Source: domain.md §3 (Chongqing account credits), §4.2 (three segments and both worked examples); seed 000
@chongqing-example @settlement @rig-any @domain-3 @domain-4.2 @seed-000 @english @epic:结算 @severity:critical
Feature: Chongqing employee insurance: account credits and the three segments
  Each month a Chongqing employee's account receives 2% of the contribution base plus 30%
  of the employer's 6%. A visit spends the account first; once it is empty, costs below
  the deductible line are paid in cash, and above it the person and the fund share.

  Background:
    Given today is 2024-03-31
    And a designated hospital "First People's Hospital" in Chongqing
    And "Xiao Wang" is insured in Chongqing under employee insurance
    And "Xiao Wang" holds a card
    And "Xiao Wang" has a contribution base of CNY 2700.00

  Scenario: Three monthly credits plus last year's balance make 332.80
    # By hand: 2700.00×2% + 2700.00×6%×30% = 54.00 + 48.60 = 102.60 a month; 3 months 307.80; + 25.00 carried = 332.80.
    When "Xiao Wang"'s account receives 3 monthly credits
    Then each monthly credit is CNY 102.60
    And the credits total CNY 307.80
    When "Xiao Wang" carried CNY 25.00 over from last year
    Then "Xiao Wang"'s account balance is CNY 332.80

  Scenario: The account pays what it has, the rest below the line is cash
    # By hand: 332.80 − (100.00+80.00+50.00) = 102.80 left; this 120.00: account 102.80, the other 17.20 in cash,
    # since the cumulative 350.00 ≤ 400.00 is still below the line; fund 0.00.
    Given "Xiao Wang"'s account receives 3 monthly credits
    And "Xiao Wang" carried CNY 25.00 over from last year
    And "Xiao Wang" visits "First People's Hospital" as an outpatient with the card, costing CNY 230.00
    And "Xiao Wang"'s account balance is CNY 102.80
    When "Xiao Wang" visits "First People's Hospital" as an outpatient with the card, costing 120.00 元
    Then the account pays CNY 102.80
    And the cash paid is CNY 17.20
    And the pooled fund pays CNY 0.00
    And the account balance after settlement is CNY 0.00

  Scenario: Past the line with an empty account, the pooled segment shares the cost
    # By hand: 350.00→400.00 is 50.00 cash; 950.00 in the first bracket: person 25% 237.50, fund 712.50;
    # cash 50.00 + 237.50 = 287.50.
    Given "Xiao Wang"'s account receives 3 monthly credits
    And "Xiao Wang" carried CNY 25.00 over from last year
    And "Xiao Wang" visits "First People's Hospital" as an outpatient with the card, costing CNY 350.00
    When "Xiao Wang" visits "First People's Hospital" as an outpatient with the card, costing CNY 1000.00
    Then the pooled fund pays CNY 712.50
    And the account pays CNY 0.00
    And the cash paid is 287.5元
    And the receipt shows:
      | total   | 1000.00 |
      | fund    | 712.50  |
      | account | 0.00    |
      | cash    | 287.50  |
      | balance | 0.00    |
