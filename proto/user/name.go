package user

// ServiceName is the name the user service registers under, and the name
// its clients look it up by. It is also the issuer of the tokens the
// service signs.
const ServiceName = "shippy.service.user"

// TokenAudience is the audience of the tokens the user service signs for
// users: the suite's API. The services that take users' calls verify it.
const TokenAudience = "shippy"
