"""One module per rule type. Each exposes ``evaluate(rule, context) -> RuleResult``: it reads what
it needs from the photo's shared PhotoContext (vision/context.py), measured once per photo and
reused by every rule, and returns a typed result with its evidence (vision/evidence.py)."""
