package stripe_test

import (
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/agentgigs/agentgigs/adapters/stripe"
)

// Translate verifies a webhook and says what it asks of the marketplace; NewWebhookHandler does
// the same for an HTTP request and then calls the callback.
func ExampleTranslate() {
	const secret = "whsec_example"
	payload := []byte(`{"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
		"data": {"object": {"id": "pi_1", "object": "payment_intent", "status": "succeeded",
			"metadata": {"job_id": "job_42", "kind": "job"}}}}`)
	signature := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()}).Header

	n, err := stripe.Translate(payload, signature, secret)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.Action, n.JobID, n.PaymentRef)

	_, err = stripe.Translate(payload, signature, "whsec_other")
	fmt.Println(err != nil)
	// Output:
	// confirm_funding job_42 pi_1
	// true
}
