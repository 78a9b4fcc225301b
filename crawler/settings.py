# Scrapy settings for casewatch.
#
# Polite, bounded defaults: casewatch reads public institutions and newsrooms a few times a day; it
# must never be the reason a small regional site slows down. See
#     https://docs.scrapy.org/en/latest/topics/settings.html

from pathlib import Path

from config.settings import get_settings

BOT_NAME = "casewatch"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# `scrapy genspider -t source NAME URL` writes a spider family from our template, plus the fixture
# skeleton its golden test needs (crawler/commands/genspider.py)
TEMPLATES_DIR = str(Path(__file__).resolve().parent / "templates")
COMMANDS_MODULE = "crawler.commands"

ADDONS: dict[str, int] = {}

# Crawl responsibly by identifying yourself (and how to reach us) on the user-agent
USER_AGENT = f"casewatch/0.1 (+{get_settings().contact})"

# Obey robots.txt rules
ROBOTSTXT_OBEY = True

# Concurrency and throttling: at most two requests at a time per site, one second apart
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1

# AutoThrottle slows down further when a site answers slowly
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1
AUTOTHROTTLE_MAX_DELAY = 60
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Size and time limits: a response bomb or a hanging server must not stall a run
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30

# Retries and redirects, bounded
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5

# Spiders must see removals (404, 410) and "not modified" answers (304): they reach callbacks
# (other errors go to errbacks)
HTTPERROR_ALLOWED_CODES = [304, 404, 410]

# Disable Telnet Console (enabled by default)
TELNETCONSOLE_ENABLED = False

# Only http(s): no file:, data:, ftp: or s3: URLs, whatever a feed or a redirect says
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

# Downloader middlewares: the address guard runs first, on every request and redirect hop;
# conditional requests (ETag / Last-Modified / body checksum) make unchanged re-crawls cheap
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.AddressGuardMiddleware": 40,
    "crawler.middlewares.ConditionalRequestMiddleware": 580,  # sees bodies decompressed, after redirects
    "crawler.middlewares.RedirectLoopMiddleware": 620,  # sees 3xx before RedirectMiddleware (600)
}

# Item pipelines: the runner (crawler/runner.py) adds the ingest pipeline when it stores results;
# spider golden tests run without a database, so it stays off here.
# ITEM_PIPELINES = {
#     "crawler.pipelines.IngestPipeline": 300,
# }

# Extensions: likewise added by the runner, which records each CrawlRun.
# EXTENSIONS = {
#     "crawler.extensions.CrawlRunRecorder": 500,
# }

# Request fingerprints: REQUEST_FINGERPRINTER_IMPLEMENTATION no longer exists in Scrapy 2.19
# (the "2.7" fingerprinter is the only one), so it is not set.

# Set settings whose default value is deprecated to a future-proof value
FEED_EXPORT_ENCODING = "utf-8"

# Logging
LOG_LEVEL = "INFO"
