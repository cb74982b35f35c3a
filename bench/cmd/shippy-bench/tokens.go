package main

import (
	"context"
	"slices"
	"time"

	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform/auth"
)

// verifySamples is the number of token verifications measureTokenVerify
// times.
const verifySamples = 2000

// measureTokenVerify times auth.Verifier.Verify of one user token, as every
// authenticated call pays it, with the key already known.
func measureTokenVerify(ctx context.Context) report.Latency {
	fail := func(err error) report.Latency { return report.Latency{Err: err.Error()} }
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
	token, _, err := signer.Sign("bench-user", auth.RoleCustomer, "shippy")
	if err != nil {
		return fail(err)
	}
	samples := make([]time.Duration, verifySamples)
	for i := range samples {
		start := time.Now()
		if _, err := verifier.Verify(ctx, token); err != nil {
			return fail(err)
		}
		samples[i] = time.Since(start)
	}
	slices.Sort(samples)
	return report.Latency{P50: load.Percentile(samples, 50), P99: load.Percentile(samples, 99)}
}
