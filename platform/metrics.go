package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/server"
)

// MetricsPath is where the metrics server answers Prometheus scrapes.
const MetricsPath = "/metrics"

// Timing of the metrics server.
const (
	metricsReadHeaderTimeout = 10 * time.Second
	metricsShutdownTimeout   = 5 * time.Second
)

// RPCDurationBuckets are the upper bounds, in seconds, of the buckets of
// shippy_rpc_duration_seconds: from 1 ms (a call answered from memory) to
// 10 s (DefaultRequestTimeout).
var RPCDurationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// newMetricsRegistry returns a registry of its own for one service, with the
// Go runtime and process collectors, so that nothing registered in
// prometheus.DefaultRegisterer (by a library, say) shows up.
func newMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// rpcMetrics counts and times the calls a service's handlers answer:
//
//	shippy_rpc_requests_total{service, method, code}
//	shippy_rpc_duration_seconds{service, method, code} (histogram)
//
// service is the go-micro service name ("shippy.service.vessel"), method
// the go-micro endpoint ("VesselService.Book"), and code the go-micro code
// of the answer, as the project's error mapping sets it: the HTTP status
// ("200" for success, "400", "404", "409", "412", "503", …; "500" for an
// error that carries no code). It is what the clients see as
// errors.FromError(err).Code, and what the README documents; the gRPC
// status on the wire is derived from it.
type rpcMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newRPCMetrics registers the RPC metrics of the service name in reg.
func newRPCMetrics(reg prometheus.Registerer, name string) (*rpcMetrics, error) {
	service := prometheus.Labels{"service": name}
	labels := []string{"method", "code"}
	m := &rpcMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "shippy_rpc_requests_total",
			Help:        "Calls answered by the service's handlers, by method and go-micro (HTTP-style) code.",
			ConstLabels: service,
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:        "shippy_rpc_duration_seconds",
			Help:        "Time the service's handlers took to answer, by method and go-micro (HTTP-style) code.",
			ConstLabels: service,
			Buckets:     RPCDurationBuckets,
		}, labels),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register rpc metrics: %w", err)
		}
	}
	return m, nil
}

// wrap is a server.HandlerWrapper that records every call it passes on.
func (m *rpcMetrics) wrap(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp any) error {
		start := time.Now()
		err := next(ctx, req, rsp)
		labels := prometheus.Labels{"method": req.Endpoint(), "code": strconv.Itoa(int(microCode(err)))}
		m.requests.With(labels).Inc()
		m.duration.With(labels).Observe(time.Since(start).Seconds())
		return err
	}
}

// microCode is the go-micro code of a handler's answer: 200 for none, the
// error's code, or 500 for an error without one (as go-micro answers it).
func microCode(err error) int32 {
	if err == nil {
		return http.StatusOK
	}
	if e, ok := microerrors.As(err); ok && e.Code != 0 {
		return e.Code
	}
	return http.StatusInternalServerError
}

// metricsServer serves a registry to Prometheus over HTTP at MetricsPath.
type metricsServer struct {
	srv *http.Server
	ln  net.Listener
	// done is closed once Serve returned; err is its error then.
	done chan struct{}
	err  error
}

// startMetricsServer listens on addr and serves g at MetricsPath until
// shutdown. A collector that fails leaves its metrics out of the scrape and
// is logged; the rest is served.
func startMetricsServer(addr string, g prometheus.Gatherer, logger *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvMetricsAddress, err)
	}
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      promLogger{logger},
		ErrorHandling: promhttp.ContinueOnError,
	}))
	m := &metricsServer{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: metricsReadHeaderTimeout,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			m.err = err
		}
	}()
	return m, nil
}

// addr is the address the server listens on, its port resolved.
func (m *metricsServer) addr() string { return m.ln.Addr().String() }

// shutdown stops the server, letting scrapes in progress finish for at most
// metricsShutdownTimeout. It reports why the server stopped serving early,
// if it did.
func (m *metricsServer) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	<-m.done
	if m.err != nil {
		return fmt.Errorf("metrics server: %w", m.err)
	}
	if err != nil {
		return fmt.Errorf("metrics server shutdown: %w", err)
	}
	return nil
}

// promLogger hands promhttp's errors (a collector that failed) to slog.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Warn("metrics: " + fmt.Sprint(v...))
}
