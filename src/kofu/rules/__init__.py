"""kofu.rules: the service's rules as pure code and data (no database, web or PDF imports).

Map: kinds (certificate kinds), reasons (every reason code), decision (Allowed / Refused),
rulebook + rulebooks/*.toml (a municipality's configuration), lgcode (local government code),
calendar (Japan time, holidays, office days), hours (HRS-1..5), age (ELG-2), facts + eligibility
(ELG, CRT, REG, DAY, LAG), menu (what a person may choose; the decision for a request),
fees (FEE-1), refund (NRF-1), paging (PAG-1), pin (PIN-1), wareki (era dates), numerals (kanji).
"""
