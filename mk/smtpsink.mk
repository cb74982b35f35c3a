# The mail server of make run, make dev and compose: testenv/cmd/smtpsink, an SMTP sink
# (testenv/smtpsink, on github.com/emersion/go-smtp) that keeps the mails the notification
# service sends, shows them at http://127.0.0.1:8025/ and, under make run and make dev,
# writes each to $DATA_DIR/mail as a .eml file. It stands in for mailpit, which builds
# from the module proxy (v1.33.1) but without its web inbox: the module's zip lacks the
# UI's compiled assets (server/ui/dist), which need npm to build.
SMTPSINK_BIN := bin/smtpsink

.PHONY: smtpsink
smtpsink: ## Build the SMTP sink of make run, make dev and compose into bin/smtpsink
	@mkdir -p bin
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o $(SMTPSINK_BIN) ./testenv/cmd/smtpsink
