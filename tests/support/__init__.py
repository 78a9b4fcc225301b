"""Test helpers shared across packages: a local HTTP server and a spider runner."""
