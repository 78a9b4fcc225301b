"""Tests for alerts: rendering, message building and mail backends."""
