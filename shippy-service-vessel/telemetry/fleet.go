// Package telemetry is the vessel service's own observability: Prometheus
// metrics of the fleet's room and of the bookings made and refused, and a
// tracing decorator of the vessel.Repository. The platform adds what every
// service has (RPC metrics and spans); the domain package stays free of
// both.
package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// ScrapeTimeout bounds the read of the fleet that one scrape makes.
const ScrapeTimeout = 3 * time.Second

// gramsPerKilogram converts the domain's weights (kilograms) to the
// metrics' (grams).
const gramsPerKilogram = 1000

// Lister reads the whole fleet; vessel.Repository and *vessel.Service do.
type Lister interface {
	List(ctx context.Context) ([]vessel.Vessel, error)
}

// FleetCollector is a prometheus.Collector that reads the fleet on every
// scrape and reports the room left on it:
//
//	shippy_fleet_remaining_containers            room left on the available vessels, in containers
//	shippy_fleet_remaining_weight_grams          room left on the available vessels, in grams
//	shippy_vessel_remaining_containers{vessel}   per vessel, available or not
//	shippy_vessel_remaining_weight_grams{vessel}
//	shippy_vessel_available{vessel}              1 if the vessel takes bookings, else 0
//
// Weights are in grams, Prometheus's base unit of mass (the service counts
// kilograms: 1 kg is reported as 1000). The fleet totals are what can still
// be booked. When the fleet cannot be
// read (the store is unavailable), the scrape reports the error instead of
// these metrics, and the rest of the scrape is served.
type FleetCollector struct {
	fleet Lister

	fleetContainers, fleetWeight             *prometheus.Desc
	vesselContainers, vesselWeight, vesselUp *prometheus.Desc
}

var _ prometheus.Collector = (*FleetCollector)(nil)

// NewFleetCollector returns a collector of fleet's room.
func NewFleetCollector(fleet Lister) *FleetCollector {
	perVessel := []string{"vessel"}
	return &FleetCollector{
		fleet: fleet,
		fleetContainers: prometheus.NewDesc("shippy_fleet_remaining_containers",
			"Containers that can still be booked on the available vessels.", nil, nil),
		fleetWeight: prometheus.NewDesc("shippy_fleet_remaining_weight_grams",
			"Weight that can still be booked on the available vessels, in grams.", nil, nil),
		vesselContainers: prometheus.NewDesc("shippy_vessel_remaining_containers",
			"Containers not booked on the vessel.", perVessel, nil),
		vesselWeight: prometheus.NewDesc("shippy_vessel_remaining_weight_grams",
			"Weight not booked on the vessel, in grams.", perVessel, nil),
		vesselUp: prometheus.NewDesc("shippy_vessel_available",
			"1 if the vessel takes bookings, 0 if not.", perVessel, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *FleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.fleetContainers, c.fleetWeight, c.vesselContainers, c.vesselWeight, c.vesselUp} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: one List of the fleet, within
// ScrapeTimeout.
func (c *FleetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	vessels, err := c.fleet.List(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.fleetContainers, err)
		return
	}
	var containers, weight float64
	for _, v := range vessels {
		rc, rw := float64(v.RemainingCapacity()), float64(v.RemainingWeight())*gramsPerKilogram
		available := 0.0
		if v.Available {
			available = 1
			containers += rc
			weight += rw
		}
		ch <- prometheus.MustNewConstMetric(c.vesselContainers, prometheus.GaugeValue, rc, v.ID)
		ch <- prometheus.MustNewConstMetric(c.vesselWeight, prometheus.GaugeValue, rw, v.ID)
		ch <- prometheus.MustNewConstMetric(c.vesselUp, prometheus.GaugeValue, available, v.ID)
	}
	ch <- prometheus.MustNewConstMetric(c.fleetContainers, prometheus.GaugeValue, containers)
	ch <- prometheus.MustNewConstMetric(c.fleetWeight, prometheus.GaugeValue, weight)
}
