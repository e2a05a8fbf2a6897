"""Scan-sample generator for sohoa: the modules behind samples/generate.py."""
