"""The local cloud runtime behind `rapport local`: the synthesized stack, run on one machine without AWS."""
