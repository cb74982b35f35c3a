package consignment

// ServiceName is the name the consignment service registers under, and the
// name its clients look it up by.
const ServiceName = "shippy.service.consignment"
