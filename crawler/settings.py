# Scrapy settings for casewatch.
#
# Polite, bounded defaults: casewatch reads public institutions and newsrooms a few times a day; it
# must never be the reason a small regional site slows down. See
#     https://docs.scrapy.org/en/latest/topics/settings.html

from pathlib import Path

from scrapy.settings import default_settings

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

# The items of one response go to the pipeline one after another: IngestPipeline.process_item is
# synchronous, so Scrapy's default of 100 concurrent items only started 100 worker tasks for every
# response (a 304 with no item included): ~0.1 s of CPU per 100 responses, for the same order of work.
CONCURRENT_ITEMS = 1

# Scrapy's check that a callback generator does not `return` a value re-reads and parses the callback's
# source for every response (its cache is keyed by the bound method, a new object per request, so it
# never hits): ~1.5 ms of CPU per response. tests/crawler/test_spider_callbacks.py checks our callbacks once.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Retries and redirects, bounded
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5

# Spiders must see removals (404, 410) and "not modified" answers (304): they reach callbacks
# (other errors go to errbacks)
HTTPERROR_ALLOWED_CODES = [304, 404, 410]

# No way into a running crawl: Scrapy's telnet console and its remote-control HTTP server (on by
# default since 2.19: it runs any Python code posted with the token it writes to a job file under
# ~/.local/state/scrapy/job_files) stay off, so a crawl opens no listening socket and writes no token.
# tests/reliability/test_fetch_integrity.py fails if either comes back.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# ... and their classes are not even loaded: loading RemoteControl imports aiohttp (~0.1 s of CPU and
# ~8 MB resident in every crawl process) only for the extension to say it is not configured.
EXTENSIONS_BASE = {**default_settings.EXTENSIONS_BASE, "scrapy.extensions.telnet.TelnetConsole": None,
                   "scrapy.extensions.remote_control.RemoteControl": None}

# Certificates are verified (Scrapy's default is not to): a forged page must not become evidence.
# There is no switch to turn this off; a site with a private CA names its CA bundle in the source's
# `tls_ca`, which the https handler trusts for that site's hosts only (crawler/tls.py).
DOWNLOAD_VERIFY_CERTIFICATES = True

# Only http(s): no file:, data:, ftp: or s3: URLs, whatever a feed or a redirect says
DOWNLOAD_HANDLERS = {
    "file": None, "data": None, "ftp": None, "s3": None,
    "https": "crawler.tls.VerifiedHTTPSDownloadHandler",
}

# A body shorter than its Content-Length or a broken chunked stream is an error, never a short page
# (Scrapy's default, pinned here); the BodyIntegrityMiddleware refuses the other incomplete bodies.
DOWNLOAD_FAIL_ON_DATALOSS = True

# Downloader middlewares: the address guard runs first, on every request and redirect hop;
# conditional requests (ETag / Last-Modified / body checksum) make unchanged re-crawls cheap. A refused
# certificate, an incomplete body (short, unframed, truncated or corrupt compressed stream) or an
# unexpected content type is a failed fetch (crawler/integrity.py): checked before decompression (595)
# and before anything remembers the body (585).
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.AddressGuardMiddleware": 40,
    "crawler.tls.CertificateErrorMiddleware": 555,  # before RetryMiddleware (550): one error line, no retries
    "crawler.middlewares.ConditionalRequestMiddleware": 580,  # sees bodies decompressed, after redirects
    "crawler.middlewares.ContentTypeMiddleware": 585,  # sees bodies decompressed
    "crawler.middlewares.BodyIntegrityMiddleware": 595,  # sees bodies as sent, before decompression (590)
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
# Scrapy's default logs every item's repr (a document's whole text) at DEBUG, made even when dropped.
LOG_FORMATTER = "crawler.logformatter.QuietLogFormatter"
