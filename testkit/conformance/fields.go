package conformance

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
)

// filler sets every field of a value to a distinct non-zero value, so a record built with it
// round-trips only if the store keeps every field, including fields added to the core after the
// adapter was written.
type filler struct{ n int }

func (f *filler) next() int { f.n++; return f.n }

// fill sets v (settable) and everything inside it.
func (f *filler) fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("v" + strconv.Itoa(f.next()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Type() == reflect.TypeFor[time.Duration]() {
			v.SetInt(int64(f.next()) * int64(time.Second))
		} else {
			v.SetInt(int64(f.next()))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.next()))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		f.fill(k)
		f.fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(at(time.Duration(f.next()) * time.Minute)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	default:
		panic("conformance: cannot fill a " + v.Type().String())
	}
}

// filled returns a T with every field set.
func filled[T any](f *filler) *T {
	v := new(T)
	f.fill(reflect.ValueOf(v).Elem())
	return v
}

// storeFields checks that every field of every keyed record survives Create and Update.
func storeFields(t *testing.T, s ports.Store) {
	f := &filler{}
	a, j, app := filled[account.Account](f), filled[job.Job](f), filled[job.Application](f)
	p, tu, tk := filled[payout.Payout](f), filled[payout.TopUp](f), filled[proof.Task](f)
	j.FeeBPS, j.Version = 1000, 1 // stores may check the fee is within 0..10000
	a2, j2, app2 := filled[account.Account](f), filled[job.Job](f), filled[job.Application](f)
	p2, tu2, tk2 := filled[payout.Payout](f), filled[payout.TopUp](f), filled[proof.Task](f)
	a2.ID, j2.ID, app2.ID, p2.ID, tu2.ID, tk2.ID = a.ID, j.ID, app.ID, p.ID, tu.ID, tk.ID
	j2.FeeBPS, j2.Version = 2000, 2

	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Accounts().Create(ctx, a))
		require.NoError(t, tx.Jobs().Create(ctx, j))
		require.NoError(t, tx.Applications().Create(ctx, app))
		require.NoError(t, tx.Payouts().Create(ctx, p))
		require.NoError(t, tx.TopUps().Create(ctx, tu))
		require.NoError(t, tx.Tasks().Create(ctx, tk))
	})
	check := func(a *account.Account, j *job.Job, app *job.Application, p *payout.Payout, tu *payout.TopUp, tk *proof.Task) {
		t.Helper()
		inTx(t, s, func(ctx context.Context, tx ports.Tx) {
			require.Equal(t, a, must(tx.Accounts().Get(ctx, a.ID))(t), "every account field")
			require.Equal(t, j, must(tx.Jobs().Get(ctx, j.ID))(t), "every job field")
			require.Equal(t, app, must(tx.Applications().Get(ctx, app.ID))(t), "every application field")
			require.Equal(t, p, must(tx.Payouts().Get(ctx, p.ID))(t), "every payout field")
			require.Equal(t, tu, must(tx.TopUps().Get(ctx, tu.ID))(t), "every top-up field")
			require.Equal(t, tk, must(tx.Tasks().Get(ctx, tk.ID))(t), "every task field")
		})
	}
	check(a, j, app, p, tu, tk)
	inTx(t, s, func(ctx context.Context, tx ports.Tx) {
		require.NoError(t, tx.Accounts().Update(ctx, a2))
		require.NoError(t, tx.Jobs().Update(ctx, j2))
		require.NoError(t, tx.Applications().Update(ctx, app2))
		require.NoError(t, tx.Payouts().Update(ctx, p2))
		require.NoError(t, tx.TopUps().Update(ctx, tu2))
		require.NoError(t, tx.Tasks().Update(ctx, tk2))
	})
	check(a2, j2, app2, p2, tu2, tk2)
}
