package trace

import "time"

// What the tests of package trace_test read of a LookupMemo.

func MemoLen(m *LookupMemo) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.m)
}

func MemoGet(m *LookupMemo, name string, qtype uint16, prefix string, now time.Time) (Resolution, bool) {
	return m.get(lookupKey{name, qtype, prefix}, now)
}

func MemoPut(m *LookupMemo, name string, qtype uint16, prefix string, l Resolution, queries int, now time.Time) {
	m.put(lookupKey{name, qtype, prefix}, l, queries, now)
}
