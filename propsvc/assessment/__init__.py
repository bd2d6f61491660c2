"""Steward assessment (考核) [A1]-[A3]: the seed's daily work standards as data per community,
each steward's day evaluated from the work already recorded, and the supervisor's review."""
