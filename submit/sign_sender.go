package submit

import "context"

// signSender signs each attempt's request (RFC 9421, ClientConfig.Signer)
// after every header is set and before the transport sends it. It sits
// inside the rate sender, so that a signature's created time and short
// expiry start when the request may go, and inside the retry sender, so
// that every attempt carries its own nonce. It has no state to shut down.
type signSender struct {
	signer RequestSigner
	next   batchSender
}

func (s *signSender) send(ctx context.Context, a *attempt) (*Receipt, error) {
	req, err := a.request(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.signer.SignRequest(req); err != nil {
		return nil, &sendError{class: classRetry, err: err}
	}
	return s.next.send(ctx, a)
}
