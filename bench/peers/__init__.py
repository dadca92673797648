"""Helpers of ``bench/peers.py``: the benchmark item, the transports and the contenders."""
