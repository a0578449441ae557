package resolve

import "reflect"

func hasInt64Field(p any, name string) bool {
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	f := v.FieldByName(name)
	return f.IsValid() && f.Kind() == reflect.Int64
}
