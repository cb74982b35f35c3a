package vessel

// ServiceName is the name the vessel service registers under, and the name
// its clients look it up by.
const ServiceName = "shippy.service.vessel"
