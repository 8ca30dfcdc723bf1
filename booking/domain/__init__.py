"""Slotwise's write-side domain: aggregates, events, value objects and availability rules.

Pure Python: nothing here imports Django or any other Slotwise package (an import-linter
contract enforces it), so the rules can be tested and reasoned about on their own.
"""
