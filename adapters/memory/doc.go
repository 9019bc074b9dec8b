// Package memory holds the in-memory adapters of every port: the store, a clock tests can
// advance, seeded IDs, fake payments, a dev inbox for email and blob storage. They are the
// embedded default the server runs with when nothing else is configured, and what testkit builds
// its in-process marketplace from.
//
// They are real implementations, not mocks: the Store enforces every uniqueness rule, version
// check and balance rule the ports document and rolls a failed transaction back completely, and
// each adapter passes the same conformance suite (package testkit/conformance) as the production
// adapters. The fakes that stand in for remote services (Payments, Mailer) also record what they
// were asked to do and can be told to fail, so tests can inspect and provoke every outcome.
//
// Everything here is safe for concurrent use.
package memory
