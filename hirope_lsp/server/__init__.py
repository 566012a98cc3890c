"""The language server: thin pygls handlers over the index, the prompt builder and the engine.

server.py       HiropeServer, the LanguageServer subclass that holds the state
lifecycle.py    initialize / initialized / didChangeConfiguration / shutdown
sync.py         didOpen / didChange / didSave / didClose into the repository index
features.py     textDocument/inlineCompletion and textDocument/completion
custom.py       hirope/status, hirope/lastPrompt, hirope/documentText
coordinates.py  LSP positions <-> byte offsets (the one place that converts)
completion.py   one request on the worker thread: prompt, generation, post-processing
postprocess.py  single- or multi-line, trimming, agreeing with the text after the cursor
worker.py       one generation at a time; the newest request per document wins
model_host.py   loading and reloading the model off the event loop
progress.py     work-done progress;  logs.py  stderr, --log-file and window/logMessage
protocol.py     requests with malformed params get InvalidParams instead of silence
main.py         serve_stdio / serve_tcp (cli.py and __main__.py call these)
"""
