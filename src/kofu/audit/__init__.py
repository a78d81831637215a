"""The audit trail: every decision appended to a hash-chained log that `kofu audit verify` checks.

Entries hold identifiers and outcomes only (SEC-4): never names, addresses, incomes or certificate content.
"""
