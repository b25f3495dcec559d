"""The form stage: the official form as data (tables, rows, columns, identities, label vocabulary).

Also the rule catalogue of findings, and the findings themselves.
"""
