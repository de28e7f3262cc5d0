"""Tracking detections into passages and voting a consensus read per passage."""
