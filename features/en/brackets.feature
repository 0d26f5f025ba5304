# Source: domain.md §4.2 (brackets applied piecewise on the cumulative covered cost, like tax brackets; cap = 4 × last year's average base); seed 000
@brackets @settlement @rig-any @domain-4.2 @seed-000 @english @epic:结算 @severity:critical
Feature: The pooled segment is shared by brackets of the cumulative cost, split at 5,000, 10,000 and the cap

  Background:
    Given today is 2024-06-15
    And a designated hospital "First People's Hospital" in Chongqing
    And "Lao Zhou" is insured in Chongqing under employee insurance
    And "Lao Zhou" holds a card

  Scenario Outline: A visit crosses a bracket boundary
    Given "Lao Zhou" visits "First People's Hospital" as an outpatient with the card, costing <before>
    When "Lao Zhou" visits "First People's Hospital" as an outpatient with the card, costing <cost>
    Then the pooled fund pays <fund>
    And the cash paid is <cash>
    And "Lao Zhou"'s covered cost this year is <after>

    Examples:
      # 4600→5600: 400.00 person 25% 100.00, fund 300.00; 600.00 person 20% 120.00, fund 480.00 → fund 780.00, cash 220.00
      # 9000→11000: 1000.00 × 20% → 200.00 / 800.00; 1000.00 × 15% → 150.00 / 850.00 → fund 1650.00, cash 350.00
      # cap 4 × 60000.00 = 240000.00; 239000→241000: 1000.00 × 15% → 150.00 / 850.00; 1000.00 above the cap all cash → cash 1150.00
      | before        | cost        | fund        | cash        | after         |
      | CNY 4600.00   | CNY 1000.00 | CNY 780.00  | CNY 220.00  | CNY 5600.00   |
      | CNY 9000.00   | CNY 2000.00 | CNY 1650.00 | CNY 350.00  | CNY 11000.00  |
      | CNY 239000.00 | CNY 2000.00 | CNY 850.00  | CNY 1150.00 | CNY 241000.00 |
