"""Baseline over time: what each internal host (and the network) normally uses, learnt across captures and days.

observe (flows -> observations) -> store (SQLite, schema migrations, one transaction per update)
-> deviation (observations of a new analysis against the store -> baseline_deviation indicators, weight factors).
"""
