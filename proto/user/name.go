package user

// ServiceName is the name the user service registers under, and the name
// its clients look it up by.
const ServiceName = "shippy.service.user"
