"""Placeholder replaced below."""
import sys
def main():
    print("bpkit 0.1.0")
