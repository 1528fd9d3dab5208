"""Policy engine: sizing, security and cost rules over env-root HCL and plan JSON."""
