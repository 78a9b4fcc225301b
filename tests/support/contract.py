"""The JSON field sets of the CLI contract (docs/architecture.md, "Command line"), checked exactly end to end."""

CHANGE_FIELDS = {"id", "kind", "detected_at", "source", "source_kind", "url", "title", "published_at", "cases",
                 "relevance", "matched_terms", "milestones", "summary", "diff", "version_sha256", "story",
                 "related_cases", "from_version", "to_version", "headline_only"}
SOURCE_FIELDS = {"id", "name", "kind", "spider", "urls", "params", "schedule", "timezone", "ignore", "enabled",
                 "health", "health_reason", "health_since",
                 "last_run"}
