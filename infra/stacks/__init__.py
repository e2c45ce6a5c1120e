"""The stacks: each composes the constructs of infra.constructs."""
