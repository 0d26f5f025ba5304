# Source: card-spec.md §6 (the reader interface: a 3.x card is authenticated through the PSAM first; the name is record 09 plus the extension 4E), §7 (the third-generation card: dual interface, SM ciphers, a bank application, the PSAM); domain.md §4.2 (the account pays first: CNY 100.00 ≤ the account's CNY 300.00, below the deductible); seed 000 (the card swiped at registration), seed 002 (using the card in hospitals and pharmacies)
@third-generation @needs-card-swap @domain-4.2 @seed-000 @seed-002 @english @epic:卡片 @story:第三代社保卡
Feature: The third-generation card: read after external authentication through the terminal's PSAM

  Background:
    Given today is 2024-03-15
    And a designated hospital "City Hospital" in Chongqing
    And "Zhang San" is insured in Chongqing under employee insurance
    And "Zhang San"'s account is credited CNY 300.00

  @severity:critical
  Scenario: A third-generation card read by contact, authenticated through the PSAM, settles from the account
    # By hand: CNY 100.00 against an account of CNY 300.00, below the deductible: the account pays it all, CNY 200.00 left.
    Given "Zhang San" holds a third-generation card
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then the terminal read the holder data after external authentication through its PSAM
    And the account pays CNY 100.00
    And the cash paid is CNY 0.00
    And the account balance after settlement is CNY 200.00
    And the terminal reads "Zhang San"'s card number and social security number

  Scenario: Tapped on the contactless reader, it settles as by contact
    Given "Zhang San" holds a third-generation card
    When "Zhang San" taps the card at "City Hospital" for an outpatient visit costing CNY 100.00
    Then the terminal read the holder data after external authentication through its PSAM
    And the account pays CNY 100.00
    And the account balance after settlement is CNY 200.00

  Scenario: A terminal without a PSAM cannot read a third-generation card: cash instead
    Given "Zhang San" holds a third-generation card
    And the terminal has no PSAM
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then the terminal refuses because "no PSAM"
    And everything is paid in cash and insurance pays nothing
    And the card traffic has no "EXTERNAL AUTHENTICATE" command
    And "Zhang San"'s account balance is CNY 300.00

  Scenario: A name longer than 15 characters: the receipt shows it whole, with its extension
    # Record 09 holds 30 bytes (15 Chinese characters); the 16th, 木, is in the extension record 4E.
    Given "阿卜杜热合曼·买买提明·艾力克木" is insured in Chongqing under employee insurance
    And "阿卜杜热合曼·买买提明·艾力克木"'s account is credited CNY 300.00
    And "阿卜杜热合曼·买买提明·艾力克木" holds a third-generation card
    When "阿卜杜热合曼·买买提明·艾力克木" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then the account pays CNY 100.00
    And the receipt names the insured "阿卜杜热合曼·买买提明·艾力克木"

  Scenario: The card's bank application is there, and medical settlement never uses it
    Given "Zhang San" holds a third-generation card
    When "Zhang San" visits "City Hospital" as an outpatient with the card, costing CNY 100.00
    Then the account pays CNY 100.00
    And the card traffic never selects the bank application
    And the card traffic has no "PURCHASE/LOAD" command
