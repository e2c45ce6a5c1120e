"""Rapport's AWS CDK infrastructure: the stack, its constructs, and the app that synthesizes them."""
