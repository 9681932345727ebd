// Package trace is the record of a resolution and its renderers.
//
// A Trace is plain data with explicit JSON keys and a schema version
// (Schema): the question, the outcome, and the ordered steps, each step one
// zone cut with every server asked, the records that mattered and the side
// resolutions it needed (NS names without glue, CNAME targets). A Recorder
// builds a Trace from the resolver's events; Run wires the two together:
//
//	t := trace.Run(ctx, r, "mydomain.com.", dns.TypeA, trace.Options{Network: "lab"})
//	trace.WriteTable(os.Stdout, t, trace.TableOptions{})
//	trace.WriteJSON(os.Stdout, t)
//
// Renderers are pure functions of a Trace writing to an io.Writer: they never
// touch the network or the resolver. The table renderer is the only file
// that uses tablewriter.
package trace
