package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform/auth"
)

// verifySamples is the number of token verifications measureTokenVerify
// times, of each kind.
const verifySamples = 1000

// measureTokenVerify times auth.Verifier.Verify of user tokens, as every
// authenticated call pays it, with the key known: verifySamples tokens the
// verifier has not seen, then one it has, again and again.
func measureTokenVerify(ctx context.Context) (first, remembered report.Latency) {
	fail := func(err error) (report.Latency, report.Latency) {
		l := report.Latency{Err: err.Error()}
		return l, l
	}
	key, err := auth.GenerateKey()
	if err != nil {
		return fail(err)
	}
	signer, err := auth.NewSigner(key, "shippy.service.user", time.Hour, nil)
	if err != nil {
		return fail(err)
	}
	keys, err := auth.NewKeySet(key.Public())
	if err != nil {
		return fail(err)
	}
	verifier, err := auth.NewVerifier(keys, "shippy.service.user", "shippy", nil)
	if err != nil {
		return fail(err)
	}
	tokens := make([]string, verifySamples)
	for i := range tokens {
		if tokens[i], _, err = signer.Sign(fmt.Sprintf("bench-user-%d", i), auth.RoleCustomer, "shippy"); err != nil {
			return fail(err)
		}
	}
	measure := func(token func(i int) string) (report.Latency, error) {
		samples := make([]time.Duration, verifySamples)
		for i := range samples {
			start := time.Now()
			if _, err := verifier.Verify(ctx, token(i)); err != nil {
				return report.Latency{}, err
			}
			samples[i] = time.Since(start)
		}
		slices.Sort(samples)
		return report.Latency{P50: load.Percentile(samples, 50), P99: load.Percentile(samples, 99)}, nil
	}
	if first, err = measure(func(i int) string { return tokens[i] }); err != nil {
		return fail(err)
	}
	if remembered, err = measure(func(int) string { return tokens[0] }); err != nil {
		return fail(err)
	}
	return first, remembered
}
