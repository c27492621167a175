package sentinel

import (
	"context"
	"fmt"
	"sync"

	"github.com/spotter-soc/spotter/internal/runs"
)

// recordingStarter is a runs.Starter that keeps every request, starts
// nothing, and answers a known key with the earlier run as the durable
// starter does. run, when set, is called for each new run.
type recordingStarter struct {
	mu    sync.Mutex
	byKey map[string]string
	reqs  []runs.StartRequest
	fail  error
	run   func(id string, req runs.StartRequest)
}

func (s *recordingStarter) Start(ctx context.Context, req runs.StartRequest) (string, bool, error) {
	s.mu.Lock()
	if s.fail != nil {
		s.mu.Unlock()
		return "", false, s.fail
	}
	if s.byKey == nil {
		s.byKey = map[string]string{}
	}
	if id, ok := s.byKey[req.Key]; ok && req.Key != "" {
		s.mu.Unlock()
		return id, true, nil
	}
	id := fmt.Sprintf("run-%03d", len(s.reqs)+1)
	s.byKey[req.Key] = id
	s.reqs = append(s.reqs, req)
	run := s.run
	s.mu.Unlock()
	if run != nil {
		run(id, req)
	}
	return id, false, nil
}

func (s *recordingStarter) started() []runs.StartRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]runs.StartRequest(nil), s.reqs...)
}
