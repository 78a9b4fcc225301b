"""Project commands for `scrapy` (COMMANDS_MODULE): ours replace Scrapy's of the same name."""
