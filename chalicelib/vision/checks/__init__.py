"""One module per rule type; each exposes ``measure(intake_result)`` and ``evaluate(rule, measures)``."""
