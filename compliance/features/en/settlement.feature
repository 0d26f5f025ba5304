@compliance @english
Feature: The terminal under test settles an outpatient visit
  The terminal under test reads our emulated card over PC/SC and sends the national
  platform's transactions to our engine; the harness records both and judges each
  requirement the scenario is tagged with.

  Background:
    Given the terminal under test is the cashier terminal of "City People's Hospital"
    And "Zhang San" is insured in Chongqing under employee insurance
    And "Zhang San"'s account is credited CNY 500.00

  @req-CARD-01 @req-CARD-02 @req-CARD-03 @req-PLAT-01 @req-PLAT-02 @req-PLAT-03 @req-PLAT-04 @req-PLAT-06 @req-PLAT-08 @req-PLAT-09
  Scenario: an outpatient visit with the card, paid from the personal account
    Given "Zhang San" holds a card
    When the terminal under test settles an outpatient visit of CNY 120.00 for "Zhang San"
    Then the terminal under test meets the requirements this scenario is tagged with

  @req-CARD-01 @req-CARD-02 @req-CARD-03 @req-CARD-08 @req-PLAT-08
  Scenario: a third-generation card, read after external authentication through the PSAM, settles
    Given "Zhang San" holds a third-generation card
    When the terminal under test settles an outpatient visit of CNY 120.00 for "Zhang San"
    Then the terminal under test meets the requirements this scenario is tagged with

  @req-PLAT-05 @req-PLAT-06 @req-PLAT-08
  Scenario: the settlement's answer is lost: reversed, settled again, once
    Given "Zhang San" holds a card
    Given the platform's answer to "2207" is lost
    When the terminal under test settles an outpatient visit of CNY 120.00 for "Zhang San"
    Then the terminal under test meets the requirements this scenario is tagged with

  @req-CARD-06
  Scenario: a card reported lost settles nothing, and the operator is told so
    Given "Zhang San" holds a card
    And "Zhang San" reports the card lost
    When the terminal under test settles an outpatient visit of CNY 80.00 for "Zhang San"
    Then the terminal under test meets the requirements this scenario is tagged with

  @req-CARD-07
  Scenario: the card is pulled while it is read: nothing is settled
    Given "Zhang San" holds a card
    And the card is pulled while the terminal under test reads it
    When the terminal under test settles an outpatient visit of CNY 80.00 for "Zhang San"
    Then the terminal under test meets the requirements this scenario is tagged with
