// Package consignmenttest gives tests of the consignment domain, and of the
// programs that use it, a consignment to start from.
package consignmenttest

import "github.com/shippy-suite/shippy/domain/consignment"

// Valid returns a new consignment with id c-1 and two containers that
// passes Validate; tests change one field of it at a time.
func Valid() consignment.Consignment {
	return consignment.Consignment{
		ID:          "c-1",
		Description: "This is a test consignment",
		Weight:      55000,
		Containers: []consignment.Container{
			{ID: "box-1", CustomerID: "cust001", Origin: "Manchester, United Kingdom", UserID: "user001"},
			{ID: "box-2", CustomerID: "cust002", Origin: "Derby, United Kingdom", UserID: "user001"},
		},
	}
}
